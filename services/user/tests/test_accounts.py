import unittest

from user.accounts import Accounts


class AccountsTest(unittest.TestCase):
    def test_register_and_find_case_insensitively(self):
        a = Accounts()
        u = a.register("Ada@Example.com", "Ada")
        self.assertEqual(u["id"], 1)
        self.assertEqual(a.find("ada@example.com")["name"], "Ada")

    def test_rejects_bad_and_duplicate_emails(self):
        a = Accounts()
        a.register("ada@example.com", "Ada")
        with self.assertRaises(ValueError):
            a.register("ADA@example.com", "Ada again")
        with self.assertRaises(ValueError):
            a.register("not-an-email", "x")


if __name__ == "__main__":
    unittest.main()
