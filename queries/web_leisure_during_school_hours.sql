-- id: web_leisure_during_school_hours
-- purpose: a            (art. 7.1 a-f)
-- requirement: WEB-3
-- severity: low
-- mode: automated
-- summary.en: Games, films or social media during school hours.
-- summary.nl: Games, films of sociale media tijdens de lesuren.
-- summary.fr: Des jeux, des films ou des réseaux sociaux pendant les heures de cours.
--
-- WEB-3 (000 par. 6.4): games and films at school, and social media without the teacher's
-- permission: the UT1 categories of [web] leisure, during school hours ([school]
-- day_start..day_end on school days that are no holiday, in the school's time zone).
-- One row per person (the proxy account, else the client address), site, category and
-- school day, with the number of requests and the first of them as evidence.
SELECT
  coalesce(w."user", w.client_ip) AS person,
  web_category(w.host, w.path, 'leisure') AS category,
  local_date(w.event_time) AS local_day,
  min(w.event_time) AS event_time,
  count(*) AS requests,
  min(w.source_file) AS source_file,
  min(w.source_line) AS source_line
FROM web w
WHERE web_category(w.host, w.path, 'leisure') IS NOT NULL
  AND school_hours(w.event_time)
GROUP BY coalesce(w."user", w.client_ip), w.host, web_category(w.host, w.path, 'leisure'), local_date(w.event_time)
ORDER BY event_time, source_line
