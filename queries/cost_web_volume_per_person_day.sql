-- id: cost_web_volume_per_person_day
-- purpose: f            (art. 7.1 a-f)
-- requirement: COST-1
-- severity: info
-- mode: automated
-- summary.en: Web traffic per person per day: requests and bytes (traffic data only).
-- summary.nl: Webverkeer per persoon per dag: verzoeken en bytes (enkel verkeersgegevens).
--
-- Cost and capacity (003 art. 7.1f, 8.7-8.8): time, count and size only. The person is a
-- pseudonym computed inside the engine; the rule cannot read the account, address, host or
-- URL (the engine refuses it).
SELECT
  pseudonym(coalesce(w."user", w.client_ip)) AS person_pseudonym,
  local_date(w.event_time) AS local_day,
  count(*) AS requests,
  coalesce(sum(w.bytes), 0) AS bytes
FROM web w
GROUP BY pseudonym(coalesce(w."user", w.client_ip)), local_date(w.event_time)
ORDER BY local_day, person_pseudonym
