<?php
// The precision scenario (test/precision/) driven by a real client: PHP's stomp extension (Debian's php-stomp 2.0,
// with php-cli).
//
//   php php_scenario.php --port 61613 [--host 127.0.0.1] [--queue /queue/x] [--messages 16]
//
// php-stomp speaks STOMP 1.0: CONNECT without accept-version, no heart-beats, no header escaping (1.0 has none).
// send() with a `receipt` header waits for that RECEIPT itself (MESSAGEs read meanwhile are kept for
// readFrame()); the DISCONNECT it sends when the
// object is destroyed carries no receipt. Exit status 0 only when the whole scenario ran; errors go to stderr.
$o = getopt('', ['host:', 'port:', 'queue:', 'messages:', 'timeout:']);
$host = $o['host'] ?? '127.0.0.1';
$port = (int)($o['port'] ?? 0);
$queue = $o['queue'] ?? sprintf('/queue/stompscope-php-%d-%d', getmypid(), time());
$messages = (int)($o['messages'] ?? 16);
$timeout = (int)($o['timeout'] ?? 20);

function fail($m) { fwrite(STDERR, $m . "\n"); exit(1); }

try {
  $stomp = new Stomp("tcp://$host:$port", 'guest', 'guest');
  $stomp->setReadTimeout($timeout);
  if (!$stomp->subscribe($queue, ['id' => 'sub-1', 'ack' => 'client', 'receipt' => 'r-sub'])) fail('SUBSCRIBE receipt');
  $expected = 0;
  for ($i = 0; $i < $messages; $i++) {
    $ok = $stomp->send($queue, "text message $i: héllo wörld ✓",
      ['content-type' => 'text/plain; charset=utf-8', 'x-colons' => "a:b:$i", 'receipt' => "r-text-$i"]);
    if (!$ok) fail("no RECEIPT r-text-$i");
    $expected++;
  }
  // Binary: NULs and bytes that are not UTF-8 (php-stomp adds content-length).
  $binary = implode('', array_map('chr', range(0, 255))) . "\0\0NUL-in-the-middle\0\xff\xfe";
  if (!$stomp->send($queue, $binary, ['content-type' => 'application/octet-stream', 'receipt' => 'r-binary'])) fail('no RECEIPT r-binary');
  $expected++;
  $stomp->begin('tx-1');
  $stomp->send($queue, 'in transaction 1', ['transaction' => 'tx-1']);
  $stomp->send($queue, 'in transaction 2', ['transaction' => 'tx-1']);
  if (!$stomp->commit('tx-1', ['receipt' => 'r-commit'])) fail('no RECEIPT r-commit');
  $expected += 2;

  $got = [];
  $deadline = time() + $timeout;
  while (count($got) < $expected) {
    if (time() > $deadline) fail('timed out waiting for MESSAGEs: ' . count($got) . " of $expected");
    $f = $stomp->readFrame();
    if ($f === false) continue;
    if ($f->command !== 'MESSAGE') fail('unexpected ' . $f->command);
    $got[] = $f;
  }
  $bins = array_filter($got, fn($f) => ($f->headers['content-type'] ?? '') === 'application/octet-stream');
  if (count($bins) !== 1 || reset($bins)->body !== $binary) fail('binary body did not come back intact');
  // ack($frame) would copy every header of the MESSAGE into the ACK, RabbitMQ's `transaction` among them (a
  // MESSAGE sent in a transaction carries it), and RabbitMQ refuses an ACK in a committed transaction: ACK by id.
  foreach ($got as $f) $stomp->ack($f->headers['message-id']);
  if (!$stomp->unsubscribe($queue, ['id' => 'sub-1', 'receipt' => 'r-unsub'])) fail('no RECEIPT r-unsub');
  unset($stomp); // sends DISCONNECT and closes
} catch (StompException $e) {
  fail('StompException: ' . $e->getMessage());
}
echo "ok $expected\n";
