-- Until now anyone who wrote in a group the bot is in (the coordinators' chat) got a user row:
-- /stats counted them, broadcasts to "everyone" went to them, and Telegram then refused (the
-- bot cannot write first), so they showed up as "blocked". Only a private chat makes a user now
-- (bot/middlewares.py); this removes the rows made otherwise.
--
-- The schema does not record where a row came from, so a row is taken as group-only when it
-- shows none of the traces a private chat leaves:
--   * no language chosen and not onboarded (the first private step is the language choice);
--   * no conversation state for their private chat (/start stores one keyed
--     "<bot>:<chat>:<user>:…" with chat = user; in a group the chat is the group's id);
--   * no message ever delivered to them (Telegram only delivers where a private chat exists);
--   * no saved call, notification setting, digest entry, ticket or ticket privacy choice;
--   * no staff role, programme assignment or coordinator display name (staff are kept
--     whatever they did).
-- Someone who once wrote privately without /start and left no other trace is removed too: the
-- next private message creates them again, as a first contact would.

DELETE FROM users
WHERE language IS NULL
  AND onboarded = 0
  AND NOT EXISTS (
      SELECT 1 FROM fsm_states f
      WHERE substr(f.key, instr(f.key, ':')) LIKE ':' || users.id || ':' || users.id || ':%'
  )
  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.user_id = users.id AND o.state = 'sent')
  AND NOT EXISTS (SELECT 1 FROM saved_calls s WHERE s.user_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM notify_prefs n WHERE n.user_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM digest_entries d WHERE d.user_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.student_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM ticket_privacy p WHERE p.user_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.user_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM coordinator_programmes c WHERE c.user_id = users.id)
  AND NOT EXISTS (SELECT 1 FROM coordinator_names c WHERE c.user_id = users.id);
