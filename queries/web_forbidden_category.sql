-- id: web_forbidden_category
-- purpose: a            (art. 7.1 a-f)
-- requirement: WEB-1
-- severity: high
-- mode: automated
-- summary.en: A site of a forbidden category (pornographic, racist, violent, dating, gambling, ...).
-- summary.nl: Een site van een verboden categorie (pornografisch, racistisch, gewelddadig, dating, gokken, ...).
-- summary.fr: Un site d'une catégorie interdite (pornographique, raciste, violente, de rencontres, de jeux d'argent, ...).
--
-- WEB-1 (003 art. 5.7a-b): pornographic, racist, discriminating, intimidating, offensive or
-- extremely violent sites: the UT1 categories of [web] forbidden.
-- One row per person (the proxy account, else the client address), site, category and
-- school day, with the number of requests and the first of them as evidence.
SELECT
  coalesce(w."user", w.client_ip) AS person,
  web_category(w.host, w.path, 'forbidden') AS category,
  local_date(w.event_time) AS local_day,
  min(w.event_time) AS event_time,
  count(*) AS requests,
  min(w.source_file) AS source_file,
  min(w.source_line) AS source_line
FROM web w
WHERE web_category(w.host, w.path, 'forbidden') IS NOT NULL
GROUP BY coalesce(w."user", w.client_ip), w.host, web_category(w.host, w.path, 'forbidden'), local_date(w.event_time)
ORDER BY event_time, source_line
