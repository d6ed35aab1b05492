"""cuagym.synth: tuple synthesis with LLM agents (``cuagym synth``).

proposer.py      tasks with success criteria from an app's schema and seed topics, de-duplicated
agents.py        the Generator (setup, golden patch, near misses) and the Discriminator (reward),
                 separated by an allow-list of what the Discriminator may see
execution.py     the scripts' states in the sandbox, one hub session each; the damage probe
orchestrator.py  rounds until the reward separates the states, or a reasoned drop
vote.py          final filter 1: k judges, reject only by strict majority
teacher.py       final filter 2: teacher rollouts in Chromium within a success band
pipeline.py      all of it, into a folder of tuples that pass ``cuagym data validate``
llm.py           the OpenAI-compatible client: retries, token accounting, transcripts
"""
