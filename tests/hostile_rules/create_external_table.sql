-- id: create_external_table
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused 
CREATE EXTERNAL TABLE stolen (line VARCHAR) STORED AS CSV LOCATION '/etc/passwd'
