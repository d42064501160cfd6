-- id: web_filter_circumvention
-- purpose: a            (art. 7.1 a-f)
-- requirement: WEB-2
-- severity: medium
-- mode: automated
-- summary.en: An attempt to get round the web filter (VPN, proxy, redirector, DNS over HTTPS, remote control).
-- summary.nl: Een poging om de webfilter te omzeilen (VPN, proxy, redirector, DNS over HTTPS, overname op afstand).
-- summary.fr: Une tentative de contourner le filtre web (VPN, proxy, redirecteur, DNS sur HTTPS, prise de contrôle à distance).
--
-- WEB-2 (003 art. 5.6): getting round the filter: the UT1 categories of [web]
-- circumvention.
-- One row per person (the proxy account, else the client address), site, category and
-- school day, with the number of requests and the first of them as evidence.
SELECT
  coalesce(w."user", w.client_ip) AS person,
  web_category(w.host, w.path, 'circumvention') AS category,
  local_date(w.event_time) AS local_day,
  min(w.event_time) AS event_time,
  count(*) AS requests,
  min(w.source_file) AS source_file,
  min(w.source_line) AS source_line
FROM web w
WHERE web_category(w.host, w.path, 'circumvention') IS NOT NULL
GROUP BY coalesce(w."user", w.client_ip), w.host, web_category(w.host, w.path, 'circumvention'), local_date(w.event_time)
ORDER BY event_time, source_line
