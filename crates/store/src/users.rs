//! Users, roles and bearer tokens, behind their own small trait so the server needs nothing else.

use crate::{fmt_time, parse_time, Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// What a person may see and do. Scoping is decided on the server from this, never from the
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// One township's patrol team: its queue and its alerts only.
    Patrol,
    /// A county's supervisor: every township of the county.
    CountySupervisor,
    /// The prefecture's duty officers: everything.
    DutyOfficer,
    /// The agriculture bureau: reads everything, changes nothing.
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Patrol,
        Role::CountySupervisor,
        Role::DutyOfficer,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patrol => "patrol",
            Role::CountySupervisor => "county_supervisor",
            Role::DutyOfficer => "duty_officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles bound to one region (township or county).
    pub fn needs_region(self) -> bool {
        matches!(self, Role::Patrol | Role::CountySupervisor)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region_id: Option<String>,
    pub disabled: bool,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub region_id: Option<String>,
}

pub trait UserStore {
    fn add_user(&mut self, user: &NewUser) -> Result<User>;
    fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;
    fn set_user_disabled(&mut self, username: &str, disabled: bool) -> Result<User>;
    /// Stores a token (by its hash) for a user until `expires_at`.
    fn add_token(
        &mut self,
        token_sha256: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The enabled user owning an unexpired token.
    fn user_by_token(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<Option<User>>;
    fn region_exists(&self, id: &str, level: &str) -> Result<bool>;
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, region_id, disabled, password_hash, created_at";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserTuple> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

type UserTuple = (
    i64,
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    String,
);

fn to_user(t: UserTuple) -> Result<User> {
    let (id, username, display_name, role, region_id, disabled, password_hash, created_at) = t;
    Ok(User {
        id,
        username,
        display_name,
        role: Role::parse(&role).ok_or(StoreError::Corrupt {
            column: "users.role",
            value: role.clone(),
        })?,
        region_id,
        disabled,
        password_hash,
        created_at: parse_time("users.created_at", &created_at)?,
    })
}

impl UserStore for SqliteStore {
    fn add_user(&mut self, u: &NewUser) -> Result<User> {
        self.connection().execute(
            "INSERT INTO users (username, display_name, password_hash, role, region_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                u.username,
                u.display_name,
                u.password_hash,
                u.role.as_str(),
                u.region_id,
                fmt_time(Utc::now())
            ],
        )?;
        self.user_by_name(&u.username)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        self.connection()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                [username],
                user_row,
            )
            .optional()?
            .map(to_user)
            .transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self.connection().prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))?;
        let rows = stmt
            .query_map([], user_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(to_user).collect()
    }

    fn set_user_disabled(&mut self, username: &str, disabled: bool) -> Result<User> {
        let n = self.connection().execute(
            "UPDATE users SET disabled = ?2 WHERE username = ?1",
            params![username, disabled],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchUser(username.to_owned()));
        }
        if disabled {
            // A disabled user's sessions end now, not when their tokens expire.
            self.connection().execute(
                "DELETE FROM api_tokens WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
                [username],
            )?;
        }
        self.user_by_name(username)?
            .ok_or(StoreError::NoSuchUser(username.to_owned()))
    }

    fn add_token(
        &mut self,
        token_sha256: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.connection().execute(
            "INSERT INTO api_tokens (token_sha256, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_sha256, user_id, fmt_time(Utc::now()), fmt_time(expires_at)],
        )?;
        Ok(())
    }

    fn user_by_token(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.connection()
            .query_row(
                &format!(
                    "SELECT {cols} FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_sha256 = ?1 AND t.expires_at > ?2 AND u.disabled = 0"
                ),
                params![token_sha256, fmt_time(now)],
                user_row,
            )
            .optional()?
            .map(to_user)
            .transpose()
    }

    fn region_exists(&self, id: &str, level: &str) -> Result<bool> {
        Ok(self
            .connection()
            .prepare_cached("SELECT 1 FROM regions WHERE id = ?1 AND level = ?2")?
            .exists(params![id, level])?)
    }
}
