-- A county supervisor's queue looks alerts up by county; without this index every listing
-- scanned the whole season's alerts.
CREATE INDEX alerts_county_state ON alerts(county_id, state);
