"""The framework-free core of the reporting platform (Chalice ships this folder as is).

Nothing here imports Chalice, WSGI or boto3 at import time, and nothing here holds a
private key: the Lambda packages carry this folder, officers' machines import it too.

* ``config``: the office configuration (one loader) and the deployment settings;
* ``crypto``, ``receipts``, ``tags``, ``media``, ``errors``, ``i18n``, ``clock``: the
  building blocks (sealing, receipt secrets, poster tags, metadata removal, the error
  catalogue, bilingual text, time);
* ``reports``: what a report is and how one is received (validation, sealing, files);
* ``cases``: the life of a report after intake (statuses, deadlines, feedback);
* ``rewards``: the reward rules and their engine;
* ``store``: where sealed reports live (one contract, SQLite and AWS);
* ``web``: HTTP without a framework (requests, answers, the header policy, forms,
  rate limits);
* ``public``: the public front door (the routes reporters use), assembled by
  ``public.app.create_app``. The officers' front door will be ``officer``, beside it,
  served by a Chalice app of its own with its own IAM role.
"""
