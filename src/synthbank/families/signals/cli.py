"""Commands of the `signals` family (registered on the apps in synthbank.cliutil)."""
