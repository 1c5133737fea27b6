# Quai terminal session holder: keeps a learner's shell alive inside a sandbox node across
# network cuts, page reloads and Quai server restarts (the state lives in the node, not in
# any server's memory). Run by the terminal bridge as `perl -e <this file> -- attach ...`
# in a non-TTY docker exec; uses only Perl's core modules (Debian's perl-base is Essential).
#
#   attach DIR NAME COLS ROWS CMD...
#     Connects to DIR/NAME.sock; if no holder listens there, starts one that runs CMD on a
#     new pseudo-terminal of COLS x ROWS. Then relays stdin -> holder and holder -> stdout.
#
# stdin carries frames: u8 type, u16 length (big-endian), payload.
#   0 input  (bytes for the shell)   1 resize (u16 cols, u16 rows)   2 hello ("EPOCH:OFFSET" or "-")
# stdout carries one header line "QUAI1 <epoch> <offset>\n" and then the terminal's raw output,
# starting at session offset <offset> (a resume sends only what the browser has not seen).
# Exit status: the shell's status when it ended, 200 when another attach took the session over.
use strict;
use warnings;
use POSIX qw(setsid WNOHANG EINTR EAGAIN EWOULDBLOCK);
use Socket qw(AF_UNIX SOCK_STREAM sockaddr_un);
use Fcntl qw(O_RDWR O_NOCTTY F_GETFL F_SETFL O_NONBLOCK LOCK_EX);

# Linux ioctl numbers, identical on x86_64 and aarch64 (asm-generic).
use constant { TIOCSWINSZ => 0x5414, TIOCGPTN => 0x80045430, TIOCSPTLCK => 0x40045431 };
use constant { RING => 65536, BUFMAX => 65536, CHUNK => 65536, TAKEN_OVER => 200 };

$SIG{PIPE} = 'IGNORE';

sub nonblocking {
  my ($fh) = @_;
  my $flags = fcntl($fh, F_GETFL, 0) or die "fcntl: $!";
  fcntl($fh, F_SETFL, $flags | O_NONBLOCK) or die "fcntl: $!";
}

sub connect_to {
  my ($path) = @_;
  socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
  return connect($s, sockaddr_un($path)) ? $s : undef;
}

sub set_size {
  my ($pty, $cols, $rows) = @_;
  my $size = pack('S4', $rows, $cols, 0, 0);
  ioctl($pty, TIOCSWINSZ, $size);
}

sub open_pty {
  sysopen(my $master, '/dev/ptmx', O_RDWR | O_NOCTTY) or die "ptmx: $!";
  my $unlock = pack('i', 0);
  ioctl($master, TIOCSPTLCK, $unlock) or die "unlockpt: $!";
  my $n = pack('i', 0);
  ioctl($master, TIOCGPTN, $n) or die "ptsname: $!";
  return ($master, '/dev/pts/' . unpack('i', $n));
}

# One frame from a buffer, or nothing when it is incomplete.
sub take_frame {
  my ($buf) = @_;
  return () if length($$buf) < 3;
  my ($type, $len) = unpack('Cn', $$buf);
  return () if length($$buf) < 3 + $len;
  my $payload = substr($$buf, 3, $len);
  substr($$buf, 0, 3 + $len) = '';
  return ($type, $payload);
}

sub holder {
  my ($listen, $dir, $name, $cols, $rows, @cmd) = @_;
  my ($pty, $slave) = open_pty();
  set_size($pty, $cols, $rows);
  # A handler (not the default) so that SIGCHLD interrupts select.
  $SIG{CHLD} = sub { };
  my $pid = fork() // die "fork: $!";
  if ($pid == 0) {
    close $listen;
    setsid();
    close $pty;
    # Opening the slave as a session leader makes it the controlling terminal.
    sysopen(my $tty, $slave, O_RDWR) or die "open $slave: $!";
    open(STDIN, '<&', $tty) and open(STDOUT, '>&', $tty) and open(STDERR, '>&', $tty) or die "dup: $!";
    close $tty;
    $SIG{CHLD} = 'DEFAULT';
    $SIG{PIPE} = 'DEFAULT';
    $ENV{TERM} = 'xterm-256color';
    exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!";
  }
  nonblocking($pty);
  nonblocking($listen);
  my $epoch = sprintf('%x.%x', time(), $$);
  my ($client, $hello, $in, $out, $to_pty, $ring, $total, $status) = (undef, 0, '', '', '', '', 0, undef);
  my $drop = sub { close $client if $client; ($client, $hello, $in, $out) = (undef, 0, '', '') };
  my $status_of = sub { ($? & 127) ? 128 + ($? & 127) : $? >> 8 };
  while (1) {
    if (!defined $status && waitpid($pid, WNOHANG) == $pid) { $status = $status_of->() }
    if (defined $status) {
      # The shell ended: hand its last output to the attached browser, leave the status, go.
      if ($client && $hello) {
        while (length($out) < 4 * BUFMAX) { my $got = sysread($pty, my $data, CHUNK); last unless $got; $out .= $data }
        fcntl($client, F_SETFL, 0);
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 20;
        eval { while (length $out) { my $put = syswrite($client, $out); last unless $put; substr($out, 0, $put) = '' } };
        alarm 0;
      }
      if (open(my $fh, '>', "$dir/$name.exit")) { print $fh $status; close $fh }
      unlink "$dir/$name.sock";
      $drop->();
      exit 0;
    }
    my ($r, $w) = ('', '');
    vec($r, fileno($listen), 1) = 1;
    if ($client) {
      vec($r, fileno($client), 1) = 1 if length($to_pty) < BUFMAX;
      vec($w, fileno($client), 1) = 1 if length $out;
      # No reader, no reading: while detached or behind, the shell waits instead of filling memory.
      vec($r, fileno($pty), 1) = 1 if $hello && length($out) < BUFMAX;
    }
    vec($w, fileno($pty), 1) = 1 if length $to_pty;
    my $n = select(my $rr = $r, my $ww = $w, undef, 5);
    if ($n < 0) { next if $! == EINTR; die "select: $!" }
    next if $n == 0;
    if (vec($rr, fileno($listen), 1)) {
      if (accept(my $new, $listen)) {
        # One browser per shell: the newest wins, the previous one is told it was taken over.
        $drop->();
        nonblocking($new);
        $client = $new;
      }
    }
    if ($client && vec($rr, fileno($client), 1)) {
      my $got = sysread($client, my $data, CHUNK);
      if (!defined $got) { $drop->() unless $! == EAGAIN || $! == EINTR }
      elsif ($got == 0) { $drop->() }
      else {
        $in .= $data;
        while (my ($type, $payload) = take_frame(\$in)) {
          if ($type == 0) { $to_pty .= $payload }
          elsif ($type == 1 && length($payload) == 4) { set_size($pty, unpack('nn', $payload)) }
          elsif ($type == 2 && !$hello) {
            $hello = 1;
            my $first = $total - length($ring);
            my $start = $first;
            if ($payload =~ /^([A-Za-z0-9._-]+):(\d+)$/ && $1 eq $epoch && $2 >= $first && $2 <= $total) { $start = $2 }
            elsif ($first > 0) {
              # A fresh view of an old session: begin the replay at a line start.
              my $nl = index($ring, "\n");
              $start += $nl + 1 if $nl >= 0;
            }
            $out = "QUAI1 $epoch $start\n" . substr($ring, $start - $first);
          }
        }
      }
    }
    if ($client && length($out) && vec($ww, fileno($client), 1)) {
      my $put = syswrite($client, $out, CHUNK);
      if (defined $put) { substr($out, 0, $put) = '' }
      elsif ($! != EAGAIN && $! != EINTR) { $drop->() }
    }
    if (length($to_pty) && vec($ww, fileno($pty), 1)) {
      my $put = syswrite($pty, $to_pty, CHUNK);
      substr($to_pty, 0, $put) = '' if defined $put;
    }
    if ($client && $hello && vec($rr, fileno($pty), 1)) {
      # A pty hands out a few kB per read: gather what is there before going back to select.
      while (length($out) < BUFMAX) {
        my $got = sysread($pty, my $data, CHUNK);
        if ($got) {
          $total += $got;
          $ring .= $data;
          $out .= $data;
          next;
        }
        last if !defined $got && ($! == EAGAIN || $! == EINTR);
        # EIO: no slave side is open any more, the shell is gone.
        waitpid($pid, 0);
        $status = $status_of->();
        last;
      }
      $ring = substr($ring, -(RING)) if length($ring) > 2 * RING;
    }
  }
}

sub start_holder {
  my ($dir, $name, $cols, $rows, @cmd) = @_;
  my $path = "$dir/$name.sock";
  unlink $path, "$dir/$name.exit";
  socket(my $listen, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
  bind($listen, sockaddr_un($path)) or die "bind $path: $!";
  listen($listen, 4) or die "listen: $!";
  my $pid = fork() // die "fork: $!";
  if ($pid == 0) {
    setsid();
    # Detach twice so the holder outlives this exec and is reaped by the node's init.
    exit 0 if fork();
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>', $ENV{QUAI_HOLDER_LOG} // '/dev/null');
    holder($listen, $dir, $name, $cols, $rows, @cmd);
    exit 0;
  }
  waitpid($pid, 0);
  close $listen;
}

sub attach {
  my ($dir, $name, $cols, $rows, @cmd) = @_;
  die "usage: attach DIR NAME COLS ROWS CMD...\n" unless @cmd && $name =~ /^[A-Za-z0-9._-]+$/;
  mkdir $dir, 0700;
  my $path = "$dir/$name.sock";
  my $sock = connect_to($path);
  unless ($sock) {
    open(my $lock, '>', "$dir/$name.lock") or die "lock: $!";
    flock($lock, LOCK_EX) or die "flock: $!";
    $sock = connect_to($path);
    unless ($sock) {
      start_holder($dir, $name, $cols, $rows, @cmd);
      $sock = connect_to($path) or die "cannot reach the new session: $!";
    }
    close $lock;
  }
  relay($sock, $dir, $name);
}

sub relay {
  my ($sock, $dir, $name) = @_;
  nonblocking($sock);
  nonblocking(\*STDOUT);
  my ($to_sock, $to_out, $in_open) = ('', '', 1);
  while (1) {
    my ($r, $w) = ('', '');
    vec($r, 0, 1) = 1 if $in_open && length($to_sock) < BUFMAX;
    vec($r, fileno($sock), 1) = 1 if length($to_out) < BUFMAX;
    vec($w, fileno($sock), 1) = 1 if length $to_sock;
    vec($w, 1, 1) = 1 if length $to_out;
    my $n = select(my $rr = $r, my $ww = $w, undef, undef);
    if ($n < 0) { next if $! == EINTR; die "select: $!" }
    if (vec($rr, 0, 1)) {
      my $got = sysread(STDIN, my $data, CHUNK);
      # The bridge hung up: leave the shell running for the next attach.
      exit 0 if defined $got && $got == 0;
      $to_sock .= $data if $got;
    }
    if (vec($rr, fileno($sock), 1)) {
      my $got = sysread($sock, my $data, CHUNK);
      if (defined $got && $got == 0) {
        fcntl(STDOUT, F_SETFL, 0);
        syswrite(STDOUT, $to_out) if length $to_out;
        my $code = TAKEN_OVER;
        if (open(my $fh, '<', "$dir/$name.exit")) { my $v = <$fh>; $code = $v if defined $v && $v =~ /^\d+$/ }
        exit $code;
      }
      $to_out .= $data if $got;
    }
    if (length($to_sock) && vec($ww, fileno($sock), 1)) {
      my $put = syswrite($sock, $to_sock);
      substr($to_sock, 0, $put) = '' if defined $put;
    }
    if (length($to_out) && vec($ww, 1, 1)) {
      my $put = syswrite(STDOUT, $to_out);
      if (defined $put) { substr($to_out, 0, $put) = '' }
      elsif ($! != EAGAIN && $! != EINTR) { exit 0 }
    }
  }
}

my $mode = shift @ARGV // '';
if ($mode eq 'attach') { attach(@ARGV) }
else { die "usage: attach DIR NAME COLS ROWS CMD...\n" }
