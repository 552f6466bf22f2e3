from obsgen.cli import main

main()
