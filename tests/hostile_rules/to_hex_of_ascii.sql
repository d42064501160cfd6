-- id: to_hex_of_ascii
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "h"
SELECT to_hex(ascii(sender)) AS h FROM email
