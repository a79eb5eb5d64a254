"""Ways to serve a built `App`: long polling (`polling.py`) and the local console chat
(`console.py`). Each starts the scheduler, takes updates until stopped, and closes the app."""
