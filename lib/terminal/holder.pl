# Quai terminal session holder: keeps a learner's shell alive inside a sandbox node across
# network cuts, page reloads and Quai server restarts (the state lives in the node, not in
# any server's memory). Run by the terminal bridge as `perl -e <this file> -- attach ...`
# in a non-TTY docker exec; uses only Perl's core modules (Debian's perl-base is Essential).
#
#   attach DIR NAME COLS ROWS CMD...
#     Connects to DIR/NAME.sock; if no holder listens there, starts one that runs CMD on a
#     new pseudo-terminal of COLS x ROWS. Then the holder serves this exec's stdin/stdout:
#     it opens the exec's own pipes through /proc/<attach pid>/fd (no copy through this
#     process), or, where that is refused, this process relays them over the socket.
#
# The format below is the bridge's too (lib/terminal/protocol.ts, "bridge <-> session holder"):
# change both together.
# stdin carries frames: u8 type, u16 length (big-endian), payload.
#   0 input  (bytes for the shell)   1 resize (u16 cols, u16 rows)   2 hello ("EPOCH:OFFSET" or "-")
# stdout carries one header line "QUAI1 <epoch> <offset>\n" and then the terminal's raw output,
# starting at session offset <offset> (a resume sends only what the browser has not seen).
# Exit status: the shell's status when it ended, 200 when another attach took the session over.
use strict;
use warnings;
use POSIX qw(setsid WNOHANG EINTR EAGAIN);
use Socket qw(AF_UNIX SOCK_STREAM sockaddr_un);
use Fcntl qw(O_RDONLY O_WRONLY O_RDWR O_NOCTTY O_NONBLOCK F_GETFL F_SETFL LOCK_EX);

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
  my ($ring, $total, $status, $to_pty) = ('', 0, undef, '');
  # The attached exec: its control socket, where its frames come from and where output goes
  # (the exec's own pipes after a hand-off, else the socket, relayed by the attach process).
  my %c;
  my $drop = sub {
    close $c{sock} if $c{sock};
    close $c{in} if $c{in} && (!$c{sock} || $c{in} != $c{sock});
    close $c{out} if $c{out} && (!$c{sock} || $c{out} != $c{sock});
    %c = ();
  };
  my $status_of = sub { ($? & 127) ? 128 + ($? & 127) : $? >> 8 };
  while (1) {
    if (!defined $status && waitpid($pid, WNOHANG) == $pid) { $status = $status_of->() }
    if (defined $status) {
      # The shell ended: hand its last output to the attached browser, leave the status, go.
      if ($c{out} && $c{hello}) {
        while (length($c{buf}) < 4 * BUFMAX) { my $got = sysread($pty, my $data, CHUNK); last unless $got; $c{buf} .= $data }
        fcntl($c{out}, F_SETFL, 0);
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 20;
        eval { while (length $c{buf}) { my $put = syswrite($c{out}, $c{buf}); last unless $put; substr($c{buf}, 0, $put) = '' } };
        alarm 0;
      }
      if (open(my $fh, '>', "$dir/$name.exit")) { print $fh $status; close $fh }
      unlink "$dir/$name.sock";
      $drop->();
      exit 0;
    }
    my ($r, $w) = ('', '');
    vec($r, fileno($listen), 1) = 1;
    if ($c{sock}) {
      vec($r, fileno($c{sock}), 1) = 1 if !$c{in} || $c{sock} != $c{in};
      if ($c{in}) {
        vec($r, fileno($c{in}), 1) = 1 if length($to_pty) < BUFMAX;
        vec($w, fileno($c{out}), 1) = 1 if length $c{buf};
        # No reader, no reading: while detached or behind, the shell waits instead of filling memory.
        vec($r, fileno($pty), 1) = 1 if $c{hello} && length($c{buf}) < BUFMAX;
      }
    }
    vec($w, fileno($pty), 1) = 1 if length $to_pty;
    my $n = select(my $rr = $r, my $ww = $w, undef, 5);
    if ($n < 0) { next if $! == EINTR; die "select: $!" }
    next if $n == 0;
    if (vec($rr, fileno($listen), 1)) {
      if (accept(my $new, $listen)) {
        # One browser per shell: the newest wins, the previous one is told it was taken over.
        $drop->();
        %c = (sock => $new, buf => '', inbuf => '', hello => 0);
      }
    }
    # Before the hand-off, the attach process says who it is on the socket: "H <pid>\n".
    if ($c{sock} && !$c{in} && vec($rr, fileno($c{sock}), 1)) {
      my $got = sysread($c{sock}, my $data, 256);
      if (!$got) { $drop->() }
      else {
        $c{inbuf} .= $data;
        if ($c{inbuf} =~ s/^H (\d+)\n//) {
          my $apid = $1;
          my ($in, $out);
          if (sysopen($in, "/proc/$apid/fd/0", O_RDONLY | O_NONBLOCK) && sysopen($out, "/proc/$apid/fd/1", O_WRONLY | O_NONBLOCK)) {
            syswrite($c{sock}, "H\n");
            @c{qw(in out)} = ($in, $out);
            $c{inbuf} = '';
          } else {
            close $in if $in;
            syswrite($c{sock}, "R\n");
            nonblocking($c{sock});
            @c{qw(in out)} = ($c{sock}, $c{sock});
          }
        } elsif (length($c{inbuf}) > 64) { $drop->() }
      }
      next;
    }
    # After a hand-off the socket only tells us when the attach process is gone.
    if ($c{sock} && $c{in} && $c{in} != $c{sock} && vec($rr, fileno($c{sock}), 1)) {
      my $got = sysread($c{sock}, my $data, 64);
      $drop->() if defined $got ? $got == 0 : ($! != EAGAIN && $! != EINTR);
      next unless $c{sock};
    }
    if ($c{in} && vec($rr, fileno($c{in}), 1)) {
      my $got = sysread($c{in}, my $data, CHUNK);
      if (!defined $got) { $drop->() unless $! == EAGAIN || $! == EINTR }
      elsif ($got == 0) { $drop->() }
      else {
        $c{inbuf} .= $data;
        while (my ($type, $payload) = take_frame(\$c{inbuf})) {
          if ($type == 0) { $to_pty .= $payload }
          elsif ($type == 1 && length($payload) == 4) { set_size($pty, unpack('nn', $payload)) }
          elsif ($type == 2 && !$c{hello}) {
            $c{hello} = 1;
            my $first = $total - length($ring);
            my $start = $first;
            if ($payload =~ /^([A-Za-z0-9._-]+):(\d+)$/ && $1 eq $epoch && $2 >= $first && $2 <= $total) { $start = $2 }
            elsif ($first > 0) {
              # A fresh view of an old session: begin the replay at a line start.
              my $nl = index($ring, "\n");
              $start += $nl + 1 if $nl >= 0;
            }
            $c{buf} = "QUAI1 $epoch $start\n" . substr($ring, $start - $first);
          }
        }
      }
    }
    if ($c{out} && length($c{buf}) && vec($ww, fileno($c{out}), 1)) {
      my $put = syswrite($c{out}, $c{buf}, CHUNK);
      if (defined $put) { substr($c{buf}, 0, $put) = '' }
      elsif ($! != EAGAIN && $! != EINTR) { $drop->() }
    }
    if (length($to_pty) && vec($ww, fileno($pty), 1)) {
      my $put = syswrite($pty, $to_pty, CHUNK);
      substr($to_pty, 0, $put) = '' if defined $put;
    }
    if ($c{out} && $c{hello} && vec($rr, fileno($pty), 1)) {
      # A pty hands out a few kB per read: gather what is there before going back to select.
      while (length($c{buf}) < BUFMAX) {
        my $got = sysread($pty, my $data, CHUNK);
        if ($got) {
          $total += $got;
          $ring .= $data;
          $c{buf} .= $data;
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
  my ($lock, $dir, $name, $cols, $rows, @cmd) = @_;
  my $path = "$dir/$name.sock";
  unlink $path, "$dir/$name.exit";
  socket(my $listen, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
  bind($listen, sockaddr_un($path)) or die "bind $path: $!";
  listen($listen, 4) or die "listen: $!";
  my $pid = fork() // die "fork: $!";
  if ($pid == 0) {
    # The creation lock belongs to the attach that starts us, not to the holder's lifetime.
    close $lock;
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

sub exit_status {
  my ($dir, $name) = @_;
  my $code = TAKEN_OVER;
  if (open(my $fh, '<', "$dir/$name.exit")) { my $v = <$fh>; $code = $v if defined $v && $v =~ /^\d+$/ }
  return $code;
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
      start_holder($lock, $dir, $name, $cols, $rows, @cmd);
      $sock = connect_to($path) or die "cannot reach the new session: $!";
    }
    close $lock;
  }
  syswrite($sock, "H $$\n");
  my $answer = '';
  while ($answer !~ /\n/) {
    my $got = sysread($sock, my $data, 2);
    exit exit_status($dir, $name) unless $got;
    $answer .= $data;
  }
  if ($answer eq "H\n") {
    # The holder reads and writes this exec's pipes itself; wait until it lets go.
    1 while sysread($sock, my $data, 64);
    exit exit_status($dir, $name);
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
        exit exit_status($dir, $name);
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
