from backprop_coach.cli import main

main()
