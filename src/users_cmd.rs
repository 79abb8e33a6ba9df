//! `burnwatch users add|list|disable`: the admin's accounts for patrols, supervisors, duty
//! officers and auditors.

use anyhow::{bail, Context, Result};
use burnwatch_core::Config;
use burnwatch_pipeline::Routing;
use burnwatch_server::auth::hash_password;
use burnwatch_store::{NewUser, Role, SqliteStore, Store, UserStore};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Adds a user. The password is read from $BURNWATCH_PASSWORD, or from the first line of
    /// standard input, so it never appears in the process list or the shell history.
    Add {
        #[arg(long)]
        username: String,
        /// patrol, county_supervisor, duty_officer, auditor or admin.
        #[arg(long)]
        role: String,
        /// The township of a patrol, the county of a supervisor.
        #[arg(long)]
        region: Option<String>,
        /// The name shown in the console (default: the user name).
        #[arg(long)]
        name: Option<String>,
    },
    List,
    /// Disables a user and ends their sessions.
    Disable {
        username: String,
    },
}

pub fn run(command: UsersCommand, config: &Config) -> Result<()> {
    let mut store = SqliteStore::open(&config.store.path)
        .with_context(|| format!("opening the store {}", config.store.path.display()))?;
    match command {
        UsersCommand::Add {
            username,
            role,
            region,
            name,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!(
                    "unknown role {role:?}; one of: {}",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                )
            })?;
            match (&region, role.needs_region()) {
                (None, true) => bail!("a {} needs --region", role.as_str()),
                (Some(_), false) => bail!(
                    "a {} sees the whole prefecture: drop --region",
                    role.as_str()
                ),
                _ => {}
            }
            if let Some(region) = &region {
                // The boundaries may never have been loaded into this store yet.
                let routing =
                    Routing::load(&config.regions).context("loading the region boundaries")?;
                store.replace_regions(&routing.region_rows()?)?;
                let level = if role == Role::Patrol {
                    "township"
                } else {
                    "county"
                };
                if !store.region_exists(region, level)? {
                    bail!("no {level} with id {region:?} in the configured boundaries");
                }
            }
            let password = match std::env::var("BURNWATCH_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let user = store.add_user(&NewUser {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                password_hash: hash_password(&password)?,
                role,
                region_id: region,
            })?;
            println!(
                "added {} ({}{})",
                user.username,
                user.role.as_str(),
                user.region_id.map(|r| format!(", {r}")).unwrap_or_default()
            );
        }
        UsersCommand::List => {
            for u in store.users()? {
                println!(
                    "{:<20} {:<18} {:<14} {}{}",
                    u.username,
                    u.role.as_str(),
                    u.region_id.as_deref().unwrap_or("-"),
                    u.display_name,
                    if u.disabled { "  (disabled)" } else { "" }
                );
            }
        }
        UsersCommand::Disable { username } => {
            store.set_user_disabled(&username, true)?;
            println!("disabled {username}");
        }
    }
    Ok(())
}
