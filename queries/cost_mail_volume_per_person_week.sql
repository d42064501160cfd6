-- id: cost_mail_volume_per_person_week
-- purpose: f            (art. 7.1 a-f)
-- requirement: COST-1
-- severity: info
-- mode: automated
-- summary.en: Mail sent per person per week: messages and megabytes (traffic data only).
-- summary.nl: Verstuurde mail per persoon per week: berichten en megabytes (enkel verkeersgegevens).
--
-- Cost and capacity (003 art. 7.1f, 8.7-8.8): count and size only. Sender and message are
-- pseudonyms computed inside the engine; subject, addresses and attachments stay out of
-- reach (the engine refuses them). A message's size counts once.
WITH m AS (
  SELECT
    pseudonym(e.sender) AS person_pseudonym,
    iso_week(min(e.event_time)) AS week,
    max(e.size_bytes) AS size_bytes
  FROM email e
  GROUP BY pseudonym(e.sender), pseudonym(coalesce(e.message_id, e.trace_id))
)
SELECT
  person_pseudonym,
  week,
  count(*) AS messages,
  round(coalesce(sum(size_bytes), 0) / 1048576.0, 3) AS megabytes
FROM m
WHERE person_pseudonym IS NOT NULL
GROUP BY person_pseudonym, week
ORDER BY week, person_pseudonym
