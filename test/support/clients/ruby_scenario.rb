# The precision scenario (test/precision/) driven by a real client: the Ruby stomp gem (Debian's ruby-stomp 1.4).
#
#   ruby ruby_scenario.rb --port 61613 [--host 127.0.0.1] [--queue /queue/x] [--messages 16] [--heartbeat 1000] [--linger 3]
#
# STOMP 1.2 with heart-beats both ways; the gem escapes header values itself (1.1+) and adds content-length.
# Connection#poll hangs once heart-beats are on, so one thread reads with #receive and hands frames over a queue;
# it stops after the UNSUBSCRIBE's RECEIPT, before #disconnect reads the DISCONNECT's own RECEIPT. Exit status 0
# only when the whole scenario ran; errors go to stderr.
require 'optparse'
require 'stomp'
require 'timeout'

opts = { host: '127.0.0.1', port: 0, queue: nil, messages: 16, heartbeat: 1000, linger: 3.0, timeout: 20 }
OptionParser.new do |o|
  o.on('--host H') { |v| opts[:host] = v }
  o.on('--port P', Integer) { |v| opts[:port] = v }
  o.on('--queue Q') { |v| opts[:queue] = v }
  o.on('--messages N', Integer) { |v| opts[:messages] = v }
  o.on('--heartbeat MS', Integer) { |v| opts[:heartbeat] = v }
  o.on('--linger S', Float) { |v| opts[:linger] = v }
  o.on('--timeout S', Integer) { |v| opts[:timeout] = v }
end.parse!
queue = opts[:queue] || "/queue/stompscope-ruby-#{Process.pid}-#{Time.now.to_i}"

def fail!(msg)
  $stderr.puts(msg)
  $stderr.flush
  exit! 1 # exit! : no at_exit handlers, no waiting on the gem's threads
end

conn = Stomp::Connection.new(
  hosts: [{ login: 'guest', passcode: 'guest', host: opts[:host], port: opts[:port] }],
  reliable: false, connect_timeout: opts[:timeout], max_reconnect_attempts: 0,
  connect_headers: { 'accept-version' => '1.2', 'host' => '/', 'heart-beat' => "#{opts[:heartbeat]},#{opts[:heartbeat]}" },
  logger: nil,
)
fail!("no CONNECTED: #{conn.connection_frame&.command}") unless conn.connection_frame&.command == 'CONNECTED'
fail!("negotiated #{conn.protocol}") unless conn.protocol == '1.2'

frames = Queue.new
reader = Thread.new do
  loop do
    f = conn.receive
    frames << f
    break if f.nil? || f.command == 'ERROR' || (f.command == 'RECEIPT' && f.headers['receipt-id'] == 'r-unsub')
  end
end

inbox = []
receipts = {}
take = lambda do |what|
  f = Timeout.timeout(opts[:timeout], nil, "timed out waiting for #{what}") { frames.pop }
  fail!('connection closed') if f.nil?
  fail!("ERROR from broker: #{f.headers['message']}") if f.command == 'ERROR'
  f.command == 'RECEIPT' ? receipts[f.headers['receipt-id']] = true : inbox << f
end
wait_receipt = ->(id) { take.call("RECEIPT #{id}") until receipts[id] }

begin
  conn.subscribe(queue, { id: 'sub-1', ack: 'client-individual', receipt: 'r-sub' })
  wait_receipt.call('r-sub')
  expected = 0
  opts[:messages].times do |i|
    # Values that need escaping in 1.2 (':' '\n' '\\'); the gem escapes them on the wire.
    conn.publish(queue, "text message #{i}: héllo wörld ✓",
                 { 'content-type' => 'text/plain; charset=utf-8', 'x-escaped' => "a:b\nline2\\back#{i}", receipt: "r-text-#{i}" })
    wait_receipt.call("r-text-#{i}")
    expected += 1
  end
  binary = ((0..255).map(&:chr).join + "\0\0NUL-in-the-middle\0\xff\xfe".b).b
  conn.publish(queue, binary, { 'content-type' => 'application/octet-stream', receipt: 'r-binary' })
  wait_receipt.call('r-binary')
  expected += 1
  conn.begin('tx-1')
  conn.publish(queue, 'in transaction 1', { transaction: 'tx-1' })
  conn.publish(queue, 'in transaction 2', { transaction: 'tx-1' })
  conn.commit('tx-1', { receipt: 'r-commit' })
  wait_receipt.call('r-commit')
  expected += 2
  take.call("MESSAGE #{inbox.size + 1} of #{expected}") while inbox.size < expected
  fail!('the escaped header did not round-trip') unless inbox.any? { |m| m.headers['x-escaped'] == "a:b\nline2\\back0" }
  fail!('binary body did not come back intact') unless inbox.any? { |m| m.body.b == binary }
  inbox.each { |m| conn.ack(m.headers['ack']) }
  sleep(opts[:linger]) # idle: heart-beats flow both ways
  conn.unsubscribe(queue, { id: 'sub-1', receipt: 'r-unsub' })
  wait_receipt.call('r-unsub')
  fail!('reader did not stop') unless reader.join(opts[:timeout])
  conn.disconnect({ receipt: 'r-disconnect' })
  fail!('no RECEIPT for DISCONNECT') unless conn.disconnect_receipt&.command == 'RECEIPT'
  puts "ok #{expected}"
  $stdout.flush
  exit! 0
rescue Timeout::Error, StandardError => e
  fail!("#{e.class}: #{e.message}")
end
