/**
 * Two throwaway self-signed P-256 identities (CN=a and CN=b) for contexts.ts's check that
 * connections copy the certificate their context holds. Never sent anywhere: the check
 * makes two sockets and never connects them.
 */
export const PROBE_IDENTITIES: readonly { cn: string; cert: string; key: string }[] = [
  {
    cn: 'a',
    cert: [
      '-----BEGIN CERTIFICATE-----',
      'MIIBcDCCARWgAwIBAgIUcl+Dm4wS14qU8Aw84SWIK+lypNQwCgYIKoZIzj0EAwIw',
      'DDEKMAgGA1UEAwwBYTAgFw0yNjEyMDMxNDE2MjdaGA8yMTI2MTEwOTE0MTYyN1ow',
      'DDEKMAgGA1UEAwwBYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLw+pxHyb/0U',
      'sPw3DA8BA5hsZHRExsHvfQCl0VB3ucG2cxhlTgkw98LBvfFTcbTnDvyY3GUVzoWm',
      'fm8gXUBJHKSjUzBRMB0GA1UdDgQWBBTO7G+bSZKqAZzzERRRbhZGxxSu3DAfBgNV',
      'HSMEGDAWgBTO7G+bSZKqAZzzERRRbhZGxxSu3DAPBgNVHRMBAf8EBTADAQH/MAoG',
      'CCqGSM49BAMCA0kAMEYCIQDSoAJs+KtpgmIx6iKnk2BWRY1X+EdY4HC/hxR9LFuY',
      'EQIhAK3auMH9C6n8Y4+faSgv4ZJZPlM+BcJmlWcjtAIh5QD3',
      '-----END CERTIFICATE-----',
      '',
    ].join('\n'),
    key: [
      '-----BEGIN PRIVATE KEY-----',
      'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgE1IrrFKnVopKADlK',
      'YA1Qkk5C5D7a+210a0M/P7qo7rehRANCAAS8PqcR8m/9FLD8NwwPAQOYbGR0RMbB',
      '730ApdFQd7nBtnMYZU4JMPfCwb3xU3G05w78mNxlFc6Fpn5vIF1ASRyk',
      '-----END PRIVATE KEY-----',
      '',
    ].join('\n'),
  },
  {
    cn: 'b',
    cert: [
      '-----BEGIN CERTIFICATE-----',
      'MIIBbzCCARWgAwIBAgIUILu45aoU7IwVuiHlkmjhTSI5UeQwCgYIKoZIzj0EAwIw',
      'DDEKMAgGA1UEAwwBYjAgFw0yNjEyMDMxNDE2MjdaGA8yMTI2MTEwOTE0MTYyN1ow',
      'DDEKMAgGA1UEAwwBYjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGViSmenlyfy',
      'acqBwxN5FJ23luPdPilftU8jpiv3mEfZSYzv6g0Fk2Xqbx//CNNqPtx28yEGv10+',
      '+e3305Ziqv2jUzBRMB0GA1UdDgQWBBSZcSI8d8pjJx5q7rfOPJMymcB6nDAfBgNV',
      'HSMEGDAWgBSZcSI8d8pjJx5q7rfOPJMymcB6nDAPBgNVHRMBAf8EBTADAQH/MAoG',
      'CCqGSM49BAMCA0gAMEUCICldhc8QJEkRYBiS+UjZWslXi3W6U/n/YQRnJLnIPQKL',
      'AiEAsJf4/ti3SlDL8EePreTxeHKe68CYef2JyfX4sIZaGw8=',
      '-----END CERTIFICATE-----',
      '',
    ].join('\n'),
    key: [
      '-----BEGIN PRIVATE KEY-----',
      'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+TZ4TAyuaGOfQqEE',
      '/Tcs45PlYCHPSLyTF4mXTxtlFnShRANCAARlYkpnp5cn8mnKgcMTeRSdt5bj3T4p',
      'X7VPI6Yr95hH2UmM7+oNBZNl6m8f/wjTaj7cdvMhBr9dPvnt99OWYqr9',
      '-----END PRIVATE KEY-----',
      '',
    ].join('\n'),
  },
];
