-- id: mail_sender_misrepresented
-- purpose: a            (art. 7.1 a-f)
-- requirement: MAIL-5
-- severity: medium
-- mode: automated
-- summary.en: Mail submitted by a school account with an anonymous sender or a sender outside the school's domains.
-- summary.nl: Mail verstuurd via een schoolaccount met een anonieme afzender of een afzender buiten de schooldomeinen.
-- summary.fr: Un message envoyé par un compte de l'école avec un expéditeur anonyme ou hors des domaines de l'école.
--
-- MAIL-5 (003 art. 4.2a, 5.7f): the sender is shown correctly; no anonymous or fictitious
-- senders. Mail counts as submitted by a school account when the source names the
-- authenticated account (Postfix sasl_username) in a school domain, or says Originating
-- (Exchange). The finding: an empty envelope sender, or an envelope sender or From:
-- header outside the school's domains ([school] mail_domains).
WITH school AS (
  SELECT value AS domain FROM lists WHERE list = 'school_domain'
), e AS (
  SELECT m.*,
    sd.domain IS NOT NULL AS sender_school,
    hd.domain IS NOT NULL OR m.header_from IS NULL AS header_school
  FROM email m
  LEFT JOIN school sd ON sd.domain = registrable_domain(m.sender)
  LEFT JOIN school hd ON hd.domain = registrable_domain(m.header_from)
  WHERE registrable_domain(m.submitted_by) IN (SELECT domain FROM school) OR m.direction = 'Originating'
)
SELECT
  coalesce(e.submitted_by, e.sender) AS person,
  min(e.event_time) AS event_time,
  min(CASE
    WHEN e.sender IS NULL THEN 'anonymous sender'
    WHEN NOT e.sender_school THEN 'envelope sender outside the school domains'
    ELSE 'From: header outside the school domains' END) AS reason,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM e
WHERE e.sender IS NULL OR NOT e.sender_school OR NOT e.header_school
GROUP BY coalesce(e.submitted_by, e.sender), coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
