from synthbank.cli import main

main()
