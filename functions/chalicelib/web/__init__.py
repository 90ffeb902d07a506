"""HTTP without a framework: requests and answers, the error guard, the header policy,
form parsing and rate limits. Both front doors and the local server build on these."""
