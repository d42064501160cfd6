-- id: mail_mass_or_chain
-- purpose: a            (art. 7.1 a-f)
-- requirement: MAIL-7
-- severity: low
-- mode: automated
-- summary.en: Mass mail (very many recipients) or chain mail (the same subject sent again and again in a day).
-- summary.nl: Massamail (zeer veel ontvangers) of kettingmail (hetzelfde onderwerp vele keren op een dag).
--
-- MAIL-7 (003 art. 5.7i): chain and mass mail clog the system. Mass: a message to
-- policy.mass_recipients or more recipients (the source's count, else the distinct
-- recipients logged). Chain: one sender sending the same subject in
-- policy.chain_repeats or more messages in one school day. Shared mailboxes (the
-- newsletter) are exempt. The subject only groups; it never leaves the rule.
WITH msg AS (
  SELECT
    e.sender,
    coalesce(e.message_id, e.trace_id) AS message,
    min(e.event_time) AS event_time,
    greatest(coalesce(max(e.recipient_count), 0), count(DISTINCT e.recipient)) AS recipients,
    min(e.subject) AS subject,
    min(e.source_file) AS source_file,
    min(e.source_line) AS source_line
  FROM email e
  WHERE e.sender IS NOT NULL
    AND registrable_domain(e.sender) IN (SELECT value FROM lists WHERE list = 'school_domain')
    AND e.sender NOT IN (SELECT address FROM people WHERE role = 'shared-mailbox')
  GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
), mass AS (
  SELECT m.sender AS person, m.message, m.event_time, 'mass' AS pattern, m.recipients AS count,
    m.source_file, m.source_line
  FROM msg m CROSS JOIN policy p
  WHERE m.recipients >= p.mass_recipients
), chain AS (
  SELECT m.sender AS person, min(m.message) AS message, min(m.event_time) AS event_time, 'chain' AS pattern,
    count(*) AS count, min(m.source_file) AS source_file, min(m.source_line) AS source_line
  FROM msg m CROSS JOIN policy p
  WHERE m.subject IS NOT NULL
  GROUP BY m.sender, local_date(m.event_time), m.subject, p.chain_repeats
  HAVING count(*) >= p.chain_repeats
)
SELECT * FROM mass
UNION ALL
SELECT * FROM chain
ORDER BY event_time, source_line
