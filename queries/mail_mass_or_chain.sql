-- id: mail_mass_or_chain
-- purpose: a            (art. 7.1 a-f)
-- requirement: MAIL-7
-- severity: low
-- mode: automated
-- summary.en: Mass mail (very many recipients) or chain mail (the same subject sent again and again in a day).
-- summary.nl: Massamail (zeer veel ontvangers) of kettingmail (hetzelfde onderwerp vele keren op een dag).
-- summary.fr: Envoi massif (un très grand nombre de destinataires) ou chaîne (le même objet envoyé encore et encore dans la journée).
--
-- MAIL-7 (003 art. 5.7i): chain and mass mail clog the system. Mass: a message to
-- policy.mass_recipients or more recipients (the source's count, else the distinct
-- recipients logged). Chain: one sender sending the same subject in
-- policy.chain_repeats or more messages in one school day, reported once, at its first
-- message (a mass message that starts a chain is reported as mass). Shared mailboxes (the
-- newsletter) are exempt. The subject only groups; it never leaves the rule.
WITH r AS (
  -- One row per message and recipient first: counting distinct recipients per message
  -- directly keeps a set per message in memory.
  SELECT
    e.sender,
    coalesce(e.message_id, e.trace_id) AS message,
    e.recipient,
    min(e.event_time) AS event_time,
    max(e.recipient_count) AS recipient_count,
    min(e.subject) AS subject,
    min(e.source_file) AS source_file,
    min(e.source_line) AS source_line
  FROM email e
  WHERE e.sender IS NOT NULL
    AND registrable_domain(e.sender) IN (SELECT value FROM lists WHERE list = 'school_domain')
    -- NOT EXISTS, not NOT IN: the sender is never NULL here, so both say the same, and
    -- NOT IN's NULL-aware anti join cost a quarter of the rule.
    AND NOT EXISTS (SELECT 1 FROM people x WHERE x.role = 'shared-mailbox' AND x.address = e.sender)
  GROUP BY e.sender, coalesce(e.message_id, e.trace_id), e.recipient
), msg AS (
  SELECT
    sender,
    message,
    min(event_time) AS event_time,
    greatest(coalesce(max(recipient_count), 0), count(recipient)) AS recipients,
    min(subject) AS subject,
    min(source_file) AS source_file,
    min(source_line) AS source_line
  FROM r
  GROUP BY sender, message
), flagged AS (
  -- One pass over the messages (a UNION of two queries over `msg` would build it twice),
  -- and one sort: the count runs over the whole partition in the row number's order.
  SELECT m.*,
    count(*) OVER (PARTITION BY m.sender, local_date(m.event_time), m.subject
                   ORDER BY m.event_time, m.source_line
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS repeats,
    row_number() OVER (PARTITION BY m.sender, local_date(m.event_time), m.subject
                       ORDER BY m.event_time, m.source_line) AS nth
  FROM msg m
)
SELECT
  f.sender AS person,
  f.event_time,
  CASE WHEN f.recipients >= p.mass_recipients THEN 'mass' ELSE 'chain' END AS pattern,
  CASE WHEN f.recipients >= p.mass_recipients THEN f.recipients ELSE f.repeats END AS count,
  f.source_file,
  f.source_line
FROM flagged f CROSS JOIN policy p
WHERE f.recipients >= p.mass_recipients
   OR (f.subject IS NOT NULL AND f.repeats >= p.chain_repeats AND f.nth = 1)
ORDER BY f.event_time, f.source_line
