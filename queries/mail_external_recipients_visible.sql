-- id: mail_external_recipients_visible
-- purpose: b            (art. 7.1 a-f)
-- requirement: MAIL-2
-- severity: medium
-- mode: sample
-- summary.en: A staff message showed many external addresses in To or Cc instead of Bcc.
-- summary.nl: Een bericht van personeel toonde veel externe adressen in Aan of Cc in plaats van Bcc.
-- summary.fr: Un message du personnel montrait de nombreuses adresses externes en À ou Cc au lieu de Cci.
--
-- MAIL-2 (001 par. 3.1, 3.3): mail to many people or to a group goes in Bcc. The
-- population is every message a staff member or shared mailbox sent to at least one
-- address outside the school's domains, where the source says to, cc or bcc per
-- recipient (Exchange Server's RecipientType, Postfix with logged To/Cc headers); the
-- violation is policy.visible_external_threshold or more external addresses in To/Cc.
-- A sampled rule: one row per message of the population, `violation` true or false.
WITH school AS (
  SELECT value AS domain FROM lists WHERE list = 'school_domain'
), r AS (
  SELECT e.*, d.domain IS NULL AS external
  FROM email e
  JOIN people p ON p.address = e.sender AND p.role IN ('staff', 'shared-mailbox')
  LEFT JOIN school d ON d.domain = registrable_domain(e.recipient)
  WHERE e.recipient_type IS NOT NULL
), m AS (
  SELECT
    sender,
    coalesce(message_id, trace_id) AS message,
    min(event_time) AS event_time,
    count(DISTINCT CASE WHEN external AND recipient_type IN ('to', 'cc') THEN recipient END) AS visible_external,
    count(DISTINCT CASE WHEN external THEN recipient END) AS external,
    min(source_file) AS source_file,
    min(source_line) AS source_line
  FROM r
  GROUP BY sender, coalesce(message_id, trace_id)
)
SELECT
  m.sender AS person,
  m.event_time,
  m.visible_external,
  m.visible_external >= p.visible_external_threshold AS violation,
  m.source_file,
  m.source_line
FROM m CROSS JOIN policy p
WHERE m.external > 0
ORDER BY m.event_time, m.source_line
