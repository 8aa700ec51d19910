from bot.sandbox.app import main

main()
