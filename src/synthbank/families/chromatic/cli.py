"""Commands of the `chromatic` family (registered on the apps in synthbank.cliutil)."""
