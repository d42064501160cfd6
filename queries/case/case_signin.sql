-- id: case_signin
-- purpose: case           (the purpose of the case it runs for: a-e)
-- requirement: CTL-4, CTL-5, GEO-1
-- severity: info
-- mode: case              (logwacht's own: run for one case, $1 = its subject)
-- summary.en: The subject's sign-ins in the case window, and whether each came from an allowed country.
-- summary.nl: De aanmeldingen van de betrokkene in de periode van het dossier, en of elk uit een toegelaten land kwam.
SELECT s.event_time, s."user", s.geo_country, s.geo_outcome, s.success, s.source_file, s.source_line,
       s.geo_outcome = 'placed' AND a.country IS NOT NULL AS allowed
FROM signin s
LEFT JOIN allowed_countries a ON a.country = s.geo_country
WHERE s."user" = $1
ORDER BY s.event_time, s.source_line
