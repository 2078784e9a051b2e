import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkHttpRedirect, USER_AGENT } from '../../src/checks';

// A loopback server that answers as the WAF web ACL does with AWSManagedRulesCommonRuleSet in front of the
// ALB: NoUserAgent_HEADER blocks (403) a request without a User-Agent; anything else gets the listener's redirect.
function wafLikeServer(seen: Array<string | undefined>): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((request, response) => {
    seen.push(request.headers['user-agent']);
    if (!request.headers['user-agent']) {
      response.writeHead(403).end('blocked by NoUserAgent_HEADER');
      return;
    }
    response.writeHead(301, { location: 'https://app.example.com/' }).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

describe('Function: checkHttpRedirect', () => {
  describe('when the ALB sits behind a WAF that blocks requests without a User-Agent', () => {
    it('sends the verifier User-Agent and passes the redirect', async () => {
      // Arrange
      const seen: Array<string | undefined> = [];
      const { server, port } = await wafLikeServer(seen);

      // Act
      const result = await checkHttpRedirect({ dnsName: '127.0.0.1', httpPort: port });
      await new Promise((resolve) => server.close(resolve));

      // Assert
      expect(seen).toEqual([USER_AGENT]);
      expect(result).toEqual({
        name: 'HttpRedirect',
        status: 'pass',
        detail: 'HTTP 301 to https://app.example.com/',
      });
    });
  });

  it('names the tool and its purpose in the User-Agent', () => {
    expect(USER_AGENT).toMatch(/^strata-tls-verification\/\d+ \(.*Custom::TlsVerification\)$/);
  });
});
