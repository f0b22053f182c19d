// A one-shot callback with a deadline: the wake-up or the timer, whichever comes first, calls
// `done` once; the other then does nothing. Used by barrier() and wait().
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace utraced {

// Returns the wake-up. After `timeout`, done(timeout_args...) is called unless woken first.
template <typename... Args>
std::function<void(Args...)> with_deadline(boost::asio::io_context& io,
                                           std::chrono::milliseconds timeout,
                                           std::function<void(Args...)> done,
                                           Args... timeout_args) {
  struct State {
    std::function<void(Args...)> done;
    boost::asio::steady_timer timer;
    bool fired = false;
  };
  auto s = std::make_shared<State>(State{std::move(done), boost::asio::steady_timer(io), false});
  s->timer.expires_after(timeout);
  s->timer.async_wait([s, timeout_args...](const boost::system::error_code& ec) {
    if (ec || s->fired) return;
    s->fired = true;
    s->done(timeout_args...);
  });
  return [s](Args... args) {
    if (s->fired) return;
    s->fired = true;
    s->timer.cancel();
    s->done(args...);
  };
}

}  // namespace utraced
