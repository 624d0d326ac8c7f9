import json
import sys

from user.accounts import Accounts


def main():
    accounts = Accounts()
    for line in sys.stdin:
        email, _, name = line.strip().partition(",")
        if email:
            print(json.dumps(accounts.register(email, name)))


if __name__ == "__main__":
    main()
