// What of a client's string comes back in a message or a log field: cut to a bound in code points, never
// splitting a surrogate pair, whether the string is short (returned as it is) or long.
import t from 'tap';
import { describeValue, logEchoLimit, logValue, messageEchoLimit, shortText } from '../../dist/observability/echo.js';

t.test('strings within the bound come back whole; longer ones are cut to the bound in code points, ending in …', async (t) => {
  const astral = '😀'; // two code units, one code point
  t.equal(logValue('a'.repeat(logEchoLimit)), 'a'.repeat(logEchoLimit), 'exactly the bound: whole');
  t.equal(logValue('a'.repeat(logEchoLimit + 1)), `${'a'.repeat(logEchoLimit - 1)}…`, 'one past: cut');
  t.equal(logValue(astral.repeat(logEchoLimit)), astral.repeat(logEchoLimit), 'the bound in code points, twice as many code units: whole');
  t.equal(logValue(astral.repeat(logEchoLimit + 1)), `${astral.repeat(logEchoLimit - 1)}…`, 'one code point past: cut between pairs');
  t.equal(logValue(`${'a'.repeat(logEchoLimit - 1)}${astral}`), `${'a'.repeat(logEchoLimit - 1)}${astral}`, 'a pair at the end of the bound: whole');
  t.equal(shortText('/x'.repeat(messageEchoLimit)), `${'/x'.repeat(messageEchoLimit / 2).slice(0, messageEchoLimit - 1)}…`);
  t.equal(describeValue('b'.repeat(messageEchoLimit)), JSON.stringify('b'.repeat(messageEchoLimit)));
  t.equal(describeValue('b'.repeat(100)), `${JSON.stringify(`${'b'.repeat(messageEchoLimit - 1)}…`)} (100 characters)`);
  t.equal(logValue({ password: 'x' }), '<an object>');
  t.equal(logValue(undefined), undefined);
});
