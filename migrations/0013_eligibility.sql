-- Eligibility as data. Calls: minimum English scores per test (any one suffices), a minimum
-- German level (CEFR), and whether only citizens of Uzbekistan may apply; ages and work years
-- were there already. Users: the facts a student chose to tell, each NULL until told.
ALTER TABLE calls ADD COLUMN min_ielts REAL;
ALTER TABLE calls ADD COLUMN min_toefl INTEGER;
ALTER TABLE calls ADD COLUMN min_duolingo INTEGER;
ALTER TABLE calls ADD COLUMN min_german TEXT;
ALTER TABLE calls ADD COLUMN uz_citizens_only INTEGER NOT NULL DEFAULT 0;

ALTER TABLE users ADD COLUMN birth_year INTEGER;
ALTER TABLE users ADD COLUMN english_test TEXT;
ALTER TABLE users ADD COLUMN english_score REAL;
ALTER TABLE users ADD COLUMN german_level TEXT;
ALTER TABLE users ADD COLUMN work_years INTEGER;
ALTER TABLE users ADD COLUMN uz_citizen INTEGER;
-- "Only calls I meet" in the results list: hide calls a told fact fails.
ALTER TABLE users ADD COLUMN facet_eligible INTEGER;  -- 1: on; NULL: off
