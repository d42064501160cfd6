-- id: window_lag_sender
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "prev"
SELECT lag(sender) OVER (ORDER BY event_time) AS prev FROM email
