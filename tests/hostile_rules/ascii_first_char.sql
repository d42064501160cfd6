-- id: ascii_first_char
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "code"
SELECT ascii(substr(sender, 1, 1)) AS code FROM email
