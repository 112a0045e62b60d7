from paperkg.cli import main

if __name__ == "__main__":  # worker processes (kb/extracting.py) import this module without running it
    main()
