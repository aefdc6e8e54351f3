import CNCursesW
import DeckUI
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one module that touches ncurses. It copies each frame's screen buffer to the terminal
/// (`werase`, draw, `wnoutrefresh`, one `doupdate`; never `clear` per frame), reads keys with `wget_wch`,
/// and sleeps in `poll` on stdin and a wake pipe, so an idle dashboard uses no CPU.
/// Only the thread that calls `run` touches ncurses; other threads wake it through the pipe.
public final class TerminalDriver {
    private var theme: Theme
    private let noColor: Bool
    private var colors = CursesColors()
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var quitRequested = false
    private var resized = false
    private var signalSources: [DispatchSourceSignal] = []

    public init(theme: Theme, noColor: Bool) throws {
        self.theme = theme
        self.noColor = noColor
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TerminalError.setup("cannot create the wake pipe") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Wakes the UI thread from any thread.
    public var wake: @Sendable () -> Void {
        let descriptor = wakeWrite
        return {
            var byte: UInt8 = 1
            _ = write(descriptor, &byte, 1)
        }
    }

    public func setTheme(_ theme: Theme) {
        self.theme = theme
        colors.apply(theme: theme, noColor: noColor)
    }

    /// Runs until the user quits or SIGTERM arrives; the terminal is restored on every way out.
    public func run(session: DeckSession, editor: @escaping (URL) throws -> Void) throws {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw TerminalError.setup("the dashboard needs a terminal (use launchdeck --once for scripts)")
        }
        ld_setlocale()
        guard initscr() != nil else { throw TerminalError.setup("cannot initialise the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? ""))") }
        defer { endwin() }
        raw()
        noecho()
        keypad(ld_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        mousemask(0, nil)
        colors.apply(theme: theme, noColor: noColor)
        for number in [SIGTERM, SIGHUP] {
            onSignal(number) { $0.quitRequested = true }
        }
        // The window-size signal may land on any thread, so ncurses' own handler would not wake this one from
        // `poll`: take the signal here, and tell ncurses the new size on the UI thread.
        onSignal(SIGWINCH) { $0.resized = true }
        defer { signalSources.forEach { $0.cancel() } }

        session.start()
        defer { session.stop() }
        draw(session)
        while !quitRequested {
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, -1)
            var drain = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &drain, drain.count) > 0 {}
            session.drain()
            if quitRequested { break }
            if resized {
                resized = false
                var size = winsize()
                if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
                    resizeterm(Int32(size.ws_row), Int32(size.ws_col))
                }
            }
            nodelay(ld_stdscr(), true)
            var character: wint_t = 0
            while true {
                let result = wget_wch(ld_stdscr(), &character)
                if result == ld_err() { break }
                guard let key = KeyDecoder.decode(result: result, code: character) else { continue }
                switch session.key(key) {
                case .quit?:
                    return
                case .edit(let queue)?:
                    suspend()
                    session.editConfig(queue: queue, editor: editor)
                    resume()
                case .copy(let text)?:
                    copyToClipboard(text)
                case nil:
                    break
                }
            }
            draw(session)
        }
    }

    /// OSC 52: the terminal (or tmux with set-clipboard on) puts the text on its clipboard. Written between frames,
    /// straight to the terminal: it moves no cursor, so ncurses' picture of the screen stays right.
    private func copyToClipboard(_ text: String) {
        let sequence = "\u{1b}]52;c;" + Data(text.utf8).base64EncodedString() + "\u{07}"
        sequence.withCString { _ = write(STDOUT_FILENO, $0, strlen($0)) }
    }

    /// Gives the terminal to another program ($EDITOR) and takes it back with one full repaint.
    /// Takes a signal through Dispatch instead of a handler, marks it for the UI thread and wakes that thread.
    private func onSignal(_ number: Int32, _ mark: @escaping (TerminalDriver) -> Void) {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number)
        let wake = self.wake
        source.setEventHandler { [weak self] in
            if let self { mark(self) }
            wake()
        }
        source.resume()
        signalSources.append(source)
    }

    private func suspend() {
        def_prog_mode()
        endwin()
    }

    private func resume() {
        reset_prog_mode()
        clearok(ld_stdscr(), true)
        keypad(ld_stdscr(), true)
        curs_set(0)
    }

    private func draw(_ session: DeckSession) {
        let height = Int(ld_lines())
        let width = Int(ld_cols())
        let frame = session.frame(width: width, height: height)
        let window = ld_stdscr()
        werase(window)
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let cell = frame[x, y]
                if cell.isContinuation { continue }
                // The bottom-right cell would scroll the screen on some terminals.
                if y == frame.height - 1 && x == frame.width - 1 { continue }
                let style = colors.style(for: cell.role)
                var attributes = CursesColors.attributes(style.attributes.union(cell.attributes))
                attributes |= ld_color_pair(Int32(style.pair))
                var text = Array(cell.text.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) })
                if text.isEmpty { continue }
                text.append(0)
                _ = ld_put_cell(window, Int32(y), Int32(x), text, attributes, Int16(style.pair))
            }
        }
        if let cursor = frame.cursor {
            curs_set(1)
            wmove(window, Int32(cursor.y), Int32(cursor.x))
        } else {
            curs_set(0)
        }
        wnoutrefresh(window)
        doupdate()
    }
}

public enum TerminalError: Error, CustomStringConvertible {
    case setup(String)
    public var description: String {
        switch self {
        case .setup(let message): message
        }
    }
}
