"""Remote agents (SPEC §11, issue 13 item 3): the processes next to the HR files. The server side
keeps their heartbeats, the work they lease and the data they deliver; `client.py` is the agent
itself (`headcount agent`)."""
