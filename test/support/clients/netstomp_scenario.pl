#!/usr/bin/perl
# The precision scenario (test/precision/) driven by a real client: Net::Stomp (Debian's libnet-stomp-perl 0.61).
#
#   perl netstomp_scenario.pl --port 61613 [--host 127.0.0.1] [--queue /queue/x] [--messages 16]
#
# Net::Stomp speaks STOMP 1.0 only: CONNECT without accept-version, no heart-beats, no header escaping (1.0 has
# none: a value may hold ':' after the first one, never an EOL). It writes headers in Perl hash order, which is
# random per run, so nothing may depend on their order. Its send_with_receipt() takes whatever frame comes next
# as the answer, and MESSAGEs interleave with RECEIPTs here, so receipts are awaited by our own read loop over
# receive_frame(). Exit status 0 only when the whole scenario ran; errors go to stderr.
use strict;
use warnings;
use Getopt::Long;
use Net::Stomp;
use Net::Stomp::Frame;

my ($host, $port, $queue, $messages, $timeout) = ('127.0.0.1', 0, undef, 16, 20);
GetOptions('host=s' => \$host, 'port=i' => \$port, 'queue=s' => \$queue, 'messages=i' => \$messages, 'timeout=i' => \$timeout)
  or die "bad arguments\n";
$queue //= sprintf('/queue/stompscope-perl-%d-%d', $$, time);

my $stomp = Net::Stomp->new({ hostname => $host, port => $port, timeout => $timeout });
my @inbox;    # MESSAGEs read while waiting for something else
my %receipts;

sub frame { my ($command, $headers, $body) = @_; $stomp->send_frame(Net::Stomp::Frame->new({ command => $command, headers => $headers, body => $body })) }

# Reads one frame (bounded by --timeout); dies on EOF, timeout or ERROR.
sub read_one {
  my $f = $stomp->receive_frame({ timeout => $timeout }) or die "no frame within ${timeout}s\n";
  die 'ERROR from broker: ' . ($f->headers->{message} // '') . "\n" if $f->command eq 'ERROR';
  if ($f->command eq 'RECEIPT') { $receipts{ $f->headers->{'receipt-id'} } = 1 }
  elsif ($f->command eq 'MESSAGE') { push @inbox, $f }
  else { die 'unexpected ' . $f->command . "\n" }
}
sub wait_receipt { my ($id) = @_; read_one() until $receipts{$id}; }

my $connected = $stomp->connect({ login => 'guest', passcode => 'guest' });
die "no CONNECTED\n" unless $connected && $connected->command eq 'CONNECTED';

frame('SUBSCRIBE', { destination => $queue, id => 'sub-1', ack => 'client', receipt => 'r-sub' });
wait_receipt('r-sub');

my $expected = 0;
for my $i (0 .. $messages - 1) {
  # UTF-8 text (bytes: Net::Stomp writes what it is given), a header value with colons (legal raw in 1.0).
  my $body = "text message $i: h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93";
  frame('SEND', { destination => $queue, 'content-type' => 'text/plain; charset=utf-8', 'x-colons' => "a:b:$i", receipt => "r-text-$i" }, $body);
  wait_receipt("r-text-$i");
  $expected++;
}
# Binary: NULs and bytes that are not UTF-8; bytes_message makes Net::Stomp add content-length.
my $binary = join('', map { chr } 0 .. 255) . "\0\0NUL-in-the-middle\0\xff\xfe";
frame('SEND', { destination => $queue, 'content-type' => 'application/octet-stream', bytes_message => 1, receipt => 'r-binary' }, $binary);
wait_receipt('r-binary');
$expected++;

frame('BEGIN', { transaction => 'tx-1' });
frame('SEND', { destination => $queue, transaction => 'tx-1' }, 'in transaction 1');
frame('SEND', { destination => $queue, transaction => 'tx-1' }, 'in transaction 2');
frame('COMMIT', { transaction => 'tx-1', receipt => 'r-commit' });
wait_receipt('r-commit');
$expected += 2;

read_one() while @inbox < $expected;
die 'more MESSAGEs than sent: ' . scalar(@inbox) . "\n" if @inbox > $expected;
my ($bin) = grep { ($_->headers->{'content-type'} // '') eq 'application/octet-stream' } @inbox;
die "binary body did not come back intact\n" unless $bin && $bin->body eq $binary;
$stomp->ack({ frame => $_ }) for @inbox;    # ACK message-id:… (1.0)

frame('UNSUBSCRIBE', { id => 'sub-1', receipt => 'r-unsub' });
wait_receipt('r-unsub');
frame('DISCONNECT', { receipt => 'r-disconnect' });
wait_receipt('r-disconnect');
$stomp->socket->close;
print "ok $expected\n";
