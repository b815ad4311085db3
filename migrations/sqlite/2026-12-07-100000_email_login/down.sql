DROP TABLE email_logins;
