// Compiles Asio's implementation once (BOOST_ASIO_SEPARATE_COMPILATION).
#include "common/asio.hpp"
#include <boost/asio/impl/src.hpp>
