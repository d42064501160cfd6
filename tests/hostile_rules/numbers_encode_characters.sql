-- id: numbers_encode_characters
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "n"
SELECT ascii(substr(subject, 2, 1)) * 1 + 0 AS n FROM email
