-- id: string_agg_senders
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "all_senders"
SELECT string_agg(sender, ',') AS all_senders FROM email
