"""Commands of the `ptycho` family (registered on the apps in synthbank.cliutil)."""
