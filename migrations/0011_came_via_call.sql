-- Which call's shared link brought a student: set once, when a new student (not yet
-- onboarded) opens /start c<id>; /stats counts students per call.
ALTER TABLE users ADD COLUMN came_via_call_id INTEGER REFERENCES calls(id) ON DELETE SET NULL;
CREATE INDEX users_came_via_call ON users(came_via_call_id) WHERE came_via_call_id IS NOT NULL;
