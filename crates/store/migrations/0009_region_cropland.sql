-- Cropland per township measured from the cropland mask (`burnwatch cropland`), for points per
-- 1,000 ha where the configuration gives no figure. Replaced whole by each measurement; the
-- mask and the time say where the numbers came from.
CREATE TABLE region_cropland (
    region_id   TEXT PRIMARY KEY,
    cropland_ha REAL NOT NULL CHECK (cropland_ha >= 0),
    mapped_ha   REAL NOT NULL CHECK (mapped_ha >= cropland_ha),
    mask        TEXT NOT NULL,
    measured_at TEXT NOT NULL
) WITHOUT ROWID;
