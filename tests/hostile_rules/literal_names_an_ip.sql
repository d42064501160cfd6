-- id: literal_names_an_ip
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused a literal
SELECT count(*) AS n FROM signin WHERE ip = '81.82.83.84'
