"""Commands of the `energy` family (registered on the apps in synthbank.cliutil)."""
