"""Commands of the `public` family (registered on the apps in synthbank.cliutil)."""
