from clutch_pipeline.cli import main

main()
