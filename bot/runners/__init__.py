"""Ways to serve a built `App`: long polling (`polling.py`) and the local console chat
(`console.py`). Each starts the sender duties (the scheduler and delivery, run while this
process holds the sender lease: bot/services/duties.py), takes updates until stopped, and
closes the app."""
